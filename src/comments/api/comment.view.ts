import { ApiProperty } from '@nestjs/swagger';
import { MessageChannel } from '../../messaging/message-channel';
import { MessageView } from '../../messaging/views/message.view';

export class CommentAuthorView {
  @ApiProperty({ nullable: true, type: String, description: "The commenter's id on the platform (not a Page-scoped id)" }) externalId: string | null;
  @ApiProperty({ nullable: true, type: String }) name: string | null;
  @ApiProperty({ nullable: true, type: String }) username: string | null;
}

export class CommentReplyView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ nullable: true, type: String }) text: string | null;
  @ApiProperty() createdAt: string;
}

/** A public reply as `POST /api/comments/:id/replies` answers it. */
export class PublicReplyView extends CommentReplyView {
  @ApiProperty({ format: 'uuid' }) commentId: string;
  @ApiProperty({ description: "Meta's id of the reply" }) externalId: string;
}

/** A comment as every route and event shows it. */
export class CommentView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ enum: MessageChannel }) channel: MessageChannel;
  @ApiProperty({ description: "Meta's comment id" }) externalId: string;
  @ApiProperty({ nullable: true, type: String, description: "Meta's id of the post or media" }) postId: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'uuid', description: "A reply's parent comment, else null" }) parentId: string | null;
  @ApiProperty({ nullable: true, type: String, description: "Meta's id of the parent comment" }) parentExternalId: string | null;
  @ApiProperty({ nullable: true, type: String }) text: string | null;
  @ApiProperty({ type: CommentAuthorView }) author: CommentAuthorView;
  @ApiProperty({ description: 'Written by the Page / Instagram account itself' }) fromPage: boolean;
  @ApiProperty({ description: "Meta's time of the comment" }) createdAt: string;
  @ApiProperty() hidden: boolean;
  @ApiProperty({ nullable: true, type: String }) editedAt: string | null;
  @ApiProperty({ nullable: true, type: String }) deletedAt: string | null;
  @ApiProperty({ nullable: true, type: MessageView, description: 'The private reply to the commenter, with its status and conversationId' })
  privateReply: MessageView | null;
  @ApiProperty({ type: [CommentReplyView], description: 'Public replies of the Page / account' }) replies: CommentReplyView[];
}

export class CommentPageView {
  @ApiProperty({ type: [CommentView] }) data: CommentView[];
  @ApiProperty({ nullable: true, type: String }) nextCursor: string | null;
}

export class PrivateReplyAnswerView {
  @ApiProperty({ type: MessageView, description: 'The pending message; its conversationId is null until Meta names the commenter' })
  message: MessageView;
}
