import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { InboxAuth } from '../auth/auth.decorators';
import { ApiErrors } from '../common/api-errors';
import { EventPageView } from './event-envelope.view';
import { CurrentOrganization } from '../auth/current-organization.decorator';
import { DEFAULT_PAGE_SIZE } from '../messaging/api/page-query.dto';
import { EventsQueryDto } from './events-query.dto';
import { EventPage, EventsQueryService } from './events-query.service';

@ApiTags('events')
@InboxAuth()
@Controller('api/events')
export class EventsController {
  constructor(private readonly events: EventsQueryService) {}

  @Get()
  @ApiOkResponse({ type: EventPageView, description: "The organization's events after `after`, oldest first, in the webhook envelope; kept at least 7 days" })
  @ApiErrors([400, 'A negative or non-integer after/cursor, or a bad limit'])
  list(@CurrentOrganization() organizationId: string, @Query() query: EventsQueryDto): Promise<EventPage> {
    return this.events.after(organizationId, query.after ?? query.cursor ?? 0, query.limit ?? DEFAULT_PAGE_SIZE);
  }
}
