import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../common/api-errors';
import { AdminAuth } from '../auth/auth.decorators';
import { CreatedOrganizationDto, CreateOrganizationDto } from './organization.dto';
import { OrganizationsService } from './organizations.service';

@ApiTags('admin')
@AdminAuth()
@Controller('api/admin/organizations')
export class AdminOrganizationsController {
  constructor(private readonly organizations: OrganizationsService) {}

  @Post()
  @HttpCode(201)
  @ApiCreatedResponse({ type: CreatedOrganizationDto })
  @ApiErrors([400, 'A missing or empty name'])
  create(@Body() body: CreateOrganizationDto): Promise<CreatedOrganizationDto> {
    return this.organizations.create(body.name);
  }
}
