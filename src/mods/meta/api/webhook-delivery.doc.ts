import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/**
 * Meta's webhook body as /docs shows it. The service reads it through `WebhookBody`
 * (types/webhook.types.ts) only after the signature checks out, and keeps fields it does not
 * know, so these classes document the shape rather than validate it.
 */
export class WebhookPartyDoc {
  @ApiProperty({ description: 'PSID / IGSID of the person, or the Page / Instagram account id' }) id: string;
}

export class WebhookMessagingEventDoc {
  @ApiProperty({ type: WebhookPartyDoc }) sender: WebhookPartyDoc;
  @ApiProperty({ type: WebhookPartyDoc }) recipient: WebhookPartyDoc;
  @ApiProperty({ description: 'ms since the epoch', example: 1764583200000 }) timestamp: number;
  @ApiPropertyOptional({
    type: Object,
    description: 'A message or an echo: mid, text, is_echo, app_id, quick_reply, reply_to, attachments [{type, payload {url}}], referral, is_deleted',
    example: { mid: 'm_abc', text: 'Hi!' },
  })
  message?: Record<string, unknown>;
  @ApiPropertyOptional({ type: Object, description: 'Messenger delivery receipt: mids, watermark' }) delivery?: Record<string, unknown>;
  @ApiPropertyOptional({ type: Object, description: 'Read receipt: watermark (Messenger) or mid (Instagram)' }) read?: Record<string, unknown>;
  @ApiPropertyOptional({ type: Object, description: 'mid, action (react|unreact), reaction, emoji' }) reaction?: Record<string, unknown>;
  @ApiPropertyOptional({ type: Object, description: 'mid, title, payload, referral' }) postback?: Record<string, unknown>;
  @ApiPropertyOptional({ type: Object, description: 'ref, source, type, ad_id' }) referral?: Record<string, unknown>;
  @ApiPropertyOptional({ type: Object, description: 'mid, text, num_edit' }) message_edit?: Record<string, unknown>;
}

export class WebhookEntryDoc {
  @ApiProperty({ description: 'The Page id (object "page") or the Instagram professional account id (object "instagram")' }) id: string;
  @ApiPropertyOptional({ description: 'ms since the epoch' }) time?: number;
  @ApiPropertyOptional({ type: [WebhookMessagingEventDoc] }) messaging?: WebhookMessagingEventDoc[];
  @ApiPropertyOptional({ type: [WebhookMessagingEventDoc], description: 'Events of threads another app owns (handover protocol)' })
  standby?: WebhookMessagingEventDoc[];
}

export class WebhookDeliveryDoc {
  @ApiProperty({ enum: ['page', 'instagram'], description: 'Other objects are acknowledged and ignored' }) object: string;
  @ApiProperty({ type: [WebhookEntryDoc] }) entry: WebhookEntryDoc[];
}
