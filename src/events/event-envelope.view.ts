import { ApiExtraModels, ApiProperty, getSchemaPath } from '@nestjs/swagger';
import { CommentView } from '../comments/api/comment.view';
import { MessageView } from '../messaging/views/message.view';
import { ConnectionStatusDocView } from '../realtime/connection-status.view';
import { DOMAIN_EVENT_TYPES, DomainEventType } from './domain-event.types';

export class EventDataView {
  @ApiProperty({
    description: 'The record as the REST routes show it: a message, a comment (`comment.received`), or the connection status (`connection.updated`)',
    oneOf: [{ $ref: getSchemaPath(MessageView) }, { $ref: getSchemaPath(CommentView) }, { $ref: getSchemaPath(ConnectionStatusDocView) }],
  })
  object: unknown;
}

/** One event of the log, as `GET /api/events` and integrator webhooks show it. */
@ApiExtraModels(MessageView, CommentView, ConnectionStatusDocView)
export class EventEnvelopeView {
  @ApiProperty({ format: 'uuid', description: 'The same on every delivery of this event (integrators dedupe by it)' }) id: string;
  @ApiProperty({ description: "Per organization, only grows: resume after it" }) sequence: number;
  @ApiProperty({ enum: DOMAIN_EVENT_TYPES }) type: DomainEventType;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ format: 'uuid' }) organizationId: string;
  @ApiProperty({ type: EventDataView }) data: EventDataView;
}

export class EventPageView {
  @ApiProperty({ type: [EventEnvelopeView] }) data: EventEnvelopeView[];
  @ApiProperty({ nullable: true, type: String, description: 'The sequence to pass as `after` for the next page, or null at the end' })
  nextCursor: string | null;
}
