import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../common/api-errors';
import { InboxAuth } from '../auth/auth.decorators';
import { CurrentOrganization } from '../auth/current-organization.decorator';
import { ContactView } from './contact.view';
import { ContactsService } from './contacts.service';
import { ContactPageView, SearchContactsQueryDto } from './contact-search.dto';

@ApiTags('contacts')
@InboxAuth()
@Controller('api/contacts')
export class ContactsController {
  constructor(private readonly contacts: ContactsService) {}

  @Get()
  @ApiOkResponse({ type: ContactPageView, description: 'Newest first; with `query`, only contacts whose name or username contains it' })
  @ApiErrors([400, 'A bad query, cursor or limit'])
  search(@CurrentOrganization() organizationId: string, @Query() query: SearchContactsQueryDto): Promise<ContactPageView> {
    return this.contacts.search(organizationId, query);
  }

  @Get(':id')
  @ApiOkResponse({ type: ContactView })
  @ApiErrors([404, 'No such contact in this organization (also for a malformed id)'])
  get(@CurrentOrganization() organizationId: string, @Param('id') id: string): Promise<ContactView> {
    return this.contacts.view(organizationId, id);
  }
}
