import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { MessageChannel } from '../message-channel';
import { GraphErrorDetails, MessageAgent, MessageDirection, MessageKind, MessageReaction, MessageSender, MessageStatus } from '../entities/message.entity';

export class AttachmentView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ example: 'image' }) type: string;
  @ApiProperty({ nullable: true, type: String }) mimeType: string | null;
  @ApiProperty({ nullable: true, type: Number }) size: number | null;
  @ApiProperty({ nullable: true, type: String, description: "Signed link to our copy of the file, or the platform's own link for media never copied (story mentions)" })
  url: string | null;
  @ApiProperty({ nullable: true, type: String, description: "When the platform's link stops working (media never copied), else null" })
  expiresAt: string | null;
  @ApiProperty({ description: "The platform's link has expired: the media can no longer be shown" }) expired: boolean;
}

export class StoryReferenceView {
  @ApiProperty({ nullable: true, type: String }) id: string | null;
  @ApiProperty({ nullable: true, type: String, description: "Meta's CDN link to the story" }) url: string | null;
}

export class QuickReplyView {
  @ApiProperty({ maxLength: 20 }) title: string;
  @ApiProperty({ maxLength: 1000, description: 'Comes back in metadata.quickReplyPayload when the customer taps it' }) payload: string;
}

export class MessageButtonView {
  @ApiProperty({ enum: ['postback', 'web_url'] }) type: 'postback' | 'web_url';
  @ApiProperty({ maxLength: 20 }) title: string;
  @ApiPropertyOptional({ description: 'postback: what the tap sends back' }) payload?: string;
  @ApiPropertyOptional({ description: 'web_url: the page it opens' }) url?: string;
}

export class MessageReactionView implements MessageReaction {
  @ApiProperty({ enum: ['contact', 'page'] }) by: 'contact' | 'page';
  @ApiProperty({ example: 'love' }) reaction: string;
  @ApiProperty({ nullable: true, type: String, example: '❤' }) emoji: string | null;
}

export class ErrorDetailsView implements GraphErrorDetails {
  @ApiProperty({ nullable: true, type: Number }) code: number | null;
  @ApiProperty({ nullable: true, type: Number }) subcode: number | null;
  @ApiProperty() message: string;
  @ApiProperty({ nullable: true, type: String }) fbtraceId: string | null;
}

export class MessageAgentView implements MessageAgent {
  @ApiProperty() id: string;
  @ApiProperty() name: string;
}

/** A message as every route and event shows it. */
export class MessageView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ format: 'uuid', nullable: true, type: String, description: 'null only for a private reply to a comment until Meta names the commenter' })
  conversationId: string | null;
  @ApiProperty({ enum: MessageChannel }) channel: MessageChannel;
  @ApiProperty({ enum: MessageDirection }) direction: MessageDirection;
  @ApiProperty({ enum: MessageSender }) sender: MessageSender;
  @ApiProperty({ enum: MessageKind, description: 'message, or a postback / referral shown in line' }) kind: MessageKind;
  @ApiProperty({ enum: MessageStatus }) status: MessageStatus;
  @ApiProperty({ nullable: true, type: MessageAgentView, description: 'Who sent it from the inbox, when the send used an agent token' })
  agent: MessageAgentView | null;
  @ApiProperty({ nullable: true, type: String }) text: string | null;
  @ApiProperty({ type: [AttachmentView] }) attachments: AttachmentView[];
  @ApiProperty({ type: [QuickReplyView], description: 'Quick replies sent under the text' }) quickReplies: QuickReplyView[];
  @ApiProperty({ type: [MessageButtonView], description: 'Buttons sent with the text (a button template)' }) buttons: MessageButtonView[];
  @ApiProperty({ nullable: true, type: String, description: "Meta's mid" }) externalId: string | null;
  @ApiProperty({ nullable: true, type: String }) replyToExternalId: string | null;
  @ApiProperty({ nullable: true, type: StoryReferenceView, description: "The organization's story this message replies to" })
  replyToStory: StoryReferenceView | null;
  @ApiProperty({ type: [MessageReactionView] }) reactions: MessageReactionView[];
  @ApiPropertyOptional({ nullable: true, type: Object, description: 'quick-reply payload, postback, referral, story reply' })
  metadata: Record<string, unknown> | null;
  @ApiProperty() sentAt: string;
  @ApiProperty({ nullable: true, type: String }) deliveredAt: string | null;
  @ApiProperty({ nullable: true, type: String }) readAt: string | null;
  @ApiProperty({ nullable: true, type: String }) editedAt: string | null;
  @ApiProperty() editCount: number;
  @ApiProperty({ nullable: true, type: String }) deletedAt: string | null;
  @ApiProperty({ nullable: true, type: ErrorDetailsView }) errorDetails: ErrorDetailsView | null;
  @ApiProperty({ nullable: true, type: String, description: 'What went wrong, for a person' }) error: string | null;
  @ApiProperty() createdAt: string;
}

export const iso = (date: Date | null | undefined): string | null => (date ? new Date(date).toISOString() : null);
