import { ApiProperty } from '@nestjs/swagger';

export class WebhookEndpointView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() url: string;
  @ApiProperty({ type: [String] }) events: string[];
  @ApiProperty({ nullable: true, type: String }) description: string | null;
  @ApiProperty() enabled: boolean;
  @ApiProperty() createdAt: string;
}

/** The answer to registration: the only time the secret is shown. */
export class CreatedWebhookEndpointView extends WebhookEndpointView {
  @ApiProperty({ example: 'whsec_…', description: 'Shown only here; verify signatures with it' }) secret: string;
}

export class RotatedSecretView {
  @ApiProperty({ example: 'whsec_…', description: 'The new secret; the old one keeps signing (as a second signature) for 24 h' }) secret: string;
}

export class WebhookEndpointListView {
  @ApiProperty({ type: [WebhookEndpointView] }) data: WebhookEndpointView[];
}

export class WebhookDeliveryView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ format: 'uuid' }) eventId: string;
  @ApiProperty() eventType: string;
  @ApiProperty() attempts: number;
  @ApiProperty({ enum: ['pending', 'succeeded', 'failed'] }) status: string;
  @ApiProperty({ nullable: true, type: Number }) responseStatus: number | null;
  @ApiProperty({ nullable: true, type: String }) error: string | null;
  @ApiProperty({ nullable: true, type: String }) lastAttemptAt: string | null;
  @ApiProperty({ nullable: true, type: String }) nextAttemptAt: string | null;
}

export class WebhookDeliveryPageView {
  @ApiProperty({ type: [WebhookDeliveryView] }) data: WebhookDeliveryView[];
  @ApiProperty({ nullable: true, type: String }) nextCursor: string | null;
}
