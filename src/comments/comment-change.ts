import type { MessageChannel } from '../messaging/message-channel';

/** Where a comment change belongs: the organization, its channel, and its Page / IG account. */
export interface CommentScope {
  organizationId: string;
  channel: MessageChannel;
  accountId: string;
}

export interface CommentAuthor {
  externalId: string | null;
  name: string | null;
  username: string | null;
}

/**
 * A comment change as a channel module hands it over, free of any platform's payload shape.
 * `at` is the platform's time of the change, ms since the epoch.
 */
export type CommentChange =
  | {
      type: 'added' | 'edited';
      externalId: string;
      postId: string | null;
      /** The platform's id of the comment this one replies to. */
      parentExternalId: string | null;
      text: string | null;
      author: CommentAuthor;
      /** Written by the Page / account itself. */
      byAccount: boolean;
      at: number;
    }
  | { type: 'removed'; externalId: string; at: number }
  | { type: 'visibility'; externalId: string; hidden: boolean; at: number };
