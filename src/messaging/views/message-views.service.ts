import { Injectable } from '@nestjs/common';
import { StorageService } from '../../storage/storage.service';
import { Contact } from '../../contacts/contact.entity';
import { Attachment, AttachmentStatus } from '../entities/attachment.entity';
import { Conversation } from '../entities/conversation.entity';
import { Message } from '../entities/message.entity';
import { ConversationView } from './conversation.view';
import { AttachmentView, iso, MessageView, StoryReferenceView } from './message.view';

const isObject = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === 'object' && !Array.isArray(value);

/** A reply to a story is kept in `metadata.replyToStory` and shown at the top level. */
function storyOf(metadata: Record<string, unknown> | null): StoryReferenceView | null {
  const story = metadata?.replyToStory;
  if (!isObject(story)) return null;
  return { id: typeof story.id === 'string' ? story.id : null, url: typeof story.url === 'string' ? story.url : null };
}

function withoutStory(metadata: Record<string, unknown> | null): Record<string, unknown> | null {
  if (!metadata || !('replyToStory' in metadata)) return metadata;
  const { replyToStory: _story, ...rest } = metadata;
  return Object.keys(rest).length > 0 ? rest : null;
}

/** Turns rows into the records REST and realtime show (attachment links signed here). */
@Injectable()
export class MessageViews {
  constructor(private readonly storage: StorageService) {}

  message(message: Message, attachments: Attachment[] = message.attachments ?? []): MessageView {
    return {
      id: message.id,
      conversationId: message.conversationId,
      channel: message.channel,
      direction: message.direction,
      sender: message.sender,
      kind: message.kind,
      status: message.status,
      agent: message.agent ?? null,
      text: message.text,
      attachments: [...attachments].sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime()).map((a) => this.attachment(a)),
      quickReplies: message.quickReplies ?? [],
      buttons: message.buttons ?? [],
      externalId: message.externalId,
      replyToExternalId: message.replyToExternalId,
      replyToStory: storyOf(message.metadata),
      reactions: message.reactions ?? [],
      metadata: withoutStory(message.metadata),
      sentAt: iso(message.sentAt)!,
      deliveredAt: iso(message.deliveredAt),
      readAt: iso(message.readAt),
      editedAt: iso(message.editedAt),
      editCount: message.editCount,
      deletedAt: iso(message.deletedAt),
      errorDetails: message.errorDetails,
      error: message.error,
      createdAt: iso(message.createdAt)!,
    };
  }

  attachment(attachment: Attachment): AttachmentView {
    const remote = attachment.status === AttachmentStatus.Remote;
    const expiresAt = remote ? attachment.expiresAt : null;
    return {
      id: attachment.id,
      type: attachment.type,
      mimeType: attachment.mimeType,
      size: attachment.size,
      url: remote ? attachment.sourceUrl : attachment.status === AttachmentStatus.Stored && attachment.storageKey ? this.storage.signedUrl(attachment.storageKey) : null,
      expiresAt: iso(expiresAt),
      expired: expiresAt !== null && new Date(expiresAt).getTime() <= Date.now(),
    };
  }

  conversation(conversation: Conversation, contact: Contact | undefined = conversation.contact): ConversationView {
    return {
      id: conversation.id,
      channel: conversation.channel,
      contactId: conversation.contactId,
      contact: { id: conversation.contactId, displayName: contact?.displayName ?? null, avatarUrl: contact?.avatarUrl ?? null },
      lastInboundAt: iso(conversation.lastInboundAt),
      lastMessageAt: iso(conversation.lastMessageAt)!,
      unreadCount: conversation.unreadCount,
      createdAt: iso(conversation.createdAt)!,
    };
  }
}
