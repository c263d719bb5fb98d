import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../../common/api-errors';
import { OrganizationAuth } from '../../auth/auth.decorators';
import { CurrentOrganization } from '../../auth/current-organization.decorator';
import { StatsService } from '../services/stats.service';
import { MessageStatsView } from './message-stats.view';
import { StatsQueryDto } from './stats-query.dto';

@ApiTags('stats')
@OrganizationAuth()
@Controller('api/stats')
export class StatsController {
  constructor(private readonly stats: StatsService) {}

  @Get('messages')
  @ApiOkResponse({ type: MessageStatsView, description: 'Counts per UTC day × channel × direction, from and to inclusive' })
  @ApiErrors([400, 'from/to missing, not YYYY-MM-DD, reversed, or spanning too many days'])
  messages(@CurrentOrganization() organizationId: string, @Query() query: StatsQueryDto): Promise<MessageStatsView> {
    return this.stats.messages(organizationId, query.from, query.to);
  }
}
