import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiAcceptedResponse, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../common/api-errors';
import { OrganizationAuth } from '../auth/auth.decorators';
import { CurrentOrganization } from '../auth/current-organization.decorator';
import { PageQueryDto } from '../messaging/api/page-query.dto';
import { CreateWebhookDto, UpdateWebhookDto } from './webhook.dto';
import { CreatedWebhookEndpointView, RotatedSecretView, WebhookDeliveryPageView, WebhookEndpointListView, WebhookEndpointView } from './webhook.view';
import { WebhookDeliveriesService } from './webhook-deliveries.service';
import { WebhookEndpointsService } from './webhook-endpoints.service';

@ApiTags('webhooks')
@OrganizationAuth()
@Controller('api/webhooks')
export class WebhooksController {
  constructor(
    private readonly endpoints: WebhookEndpointsService,
    private readonly deliveries: WebhookDeliveriesService,
  ) {}

  @Post()
  @ApiCreatedResponse({ type: CreatedWebhookEndpointView, description: 'The secret is shown only here' })
  @ApiErrors([400, 'A body that fails validation (url, events, description)'], [422, 'The URL resolves to a loopback, private or link-local address, or does not resolve'])
  create(@CurrentOrganization() organizationId: string, @Body() body: CreateWebhookDto): Promise<CreatedWebhookEndpointView> {
    return this.endpoints.create(organizationId, body);
  }

  @Get()
  @ApiOkResponse({ type: WebhookEndpointListView })
  list(@CurrentOrganization() organizationId: string): Promise<WebhookEndpointListView> {
    return this.endpoints.list(organizationId);
  }

  @Get(':id')
  @ApiOkResponse({ type: WebhookEndpointView })
  @ApiErrors([404, 'No such endpoint in this organization'])
  get(@CurrentOrganization() organizationId: string, @Param('id') id: string): Promise<WebhookEndpointView> {
    return this.endpoints.get(organizationId, id);
  }

  @Patch(':id')
  @ApiOkResponse({ type: WebhookEndpointView })
  @ApiErrors([400, 'A body that fails validation'], [404, 'No such endpoint in this organization'], [422, 'The URL resolves to a loopback, private or link-local address'])
  update(@CurrentOrganization() organizationId: string, @Param('id') id: string, @Body() body: UpdateWebhookDto): Promise<WebhookEndpointView> {
    return this.endpoints.update(organizationId, id, body);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'Deleted, with its deliveries' })
  @ApiErrors([404, 'No such endpoint in this organization'])
  remove(@CurrentOrganization() organizationId: string, @Param('id') id: string): Promise<void> {
    return this.endpoints.remove(organizationId, id);
  }

  @Post(':id/rotate-secret')
  @HttpCode(200)
  @ApiOkResponse({ type: RotatedSecretView })
  @ApiErrors([404, 'No such endpoint in this organization'])
  rotateSecret(@CurrentOrganization() organizationId: string, @Param('id') id: string): Promise<RotatedSecretView> {
    return this.endpoints.rotateSecret(organizationId, id);
  }

  @Get(':id/deliveries')
  @ApiOkResponse({ type: WebhookDeliveryPageView, description: 'Newest first' })
  @ApiErrors([400, 'A bad cursor or limit'], [404, 'No such endpoint in this organization'])
  deliveriesOf(@CurrentOrganization() organizationId: string, @Param('id') id: string, @Query() query: PageQueryDto): Promise<WebhookDeliveryPageView> {
    return this.deliveries.list(organizationId, id, query);
  }

  @Post(':id/deliveries/:deliveryId/retry')
  @HttpCode(202)
  @ApiAcceptedResponse({ description: 'The delivery is attempted again now (an empty body)', schema: { type: 'string', maxLength: 0 } })
  @ApiErrors([404, 'No such endpoint, or no such delivery of it, in this organization'])
  retry(@CurrentOrganization() organizationId: string, @Param('id') id: string, @Param('deliveryId') deliveryId: string): Promise<void> {
    return this.deliveries.retry(organizationId, id, deliveryId);
  }
}
