import { Controller, Get, Param } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../common/api-errors';
import { OrganizationAuth } from '../auth/auth.decorators';
import { CurrentOrganization } from '../auth/current-organization.decorator';
import { ContactView } from './contact.view';
import { ContactsService } from './contacts.service';

@ApiTags('contacts')
@OrganizationAuth()
@Controller('api/contacts')
export class ContactsController {
  constructor(private readonly contacts: ContactsService) {}

  @Get(':id')
  @ApiOkResponse({ type: ContactView })
  @ApiErrors([404, 'No such contact in this organization (also for a malformed id)'])
  get(@CurrentOrganization() organizationId: string, @Param('id') id: string): Promise<ContactView> {
    return this.contacts.view(organizationId, id);
  }
}
