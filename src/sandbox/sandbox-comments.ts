import { randomBytes } from 'node:crypto';
import { faults, GraphFault } from './graph-fault';
import type { SandboxState } from './sandbox-state';
import type { SandboxComment, SandboxCommentInput, SandboxPage } from './sandbox.types';
import { changesBody, FeedVerb, feedCommentChange, instagramCommentChange } from './webhook-events';

/** Meta takes a private reply up to 7 days after the comment. */
export const PRIVATE_REPLY_WINDOW_MS = 7 * 24 * 3600 * 1000;

const digits = (n = 15) => Array.from(randomBytes(n), (b) => String(b % 10)).join('').replace(/^0/, '1');

/** The webhook delivery Meta sends for a comment change. */
export type CommentDelivery = { object: 'page' | 'instagram'; entry: object[] };

/**
 * Comments on the sandbox's Page posts and Instagram media, changed the way Meta changes them:
 * each change gives the delivery Meta would post (Page `feed` / Instagram `comments`).
 */
export class SandboxComments {
  constructor(private readonly state: SandboxState) {}

  add(input: SandboxCommentInput): { comment: SandboxComment; delivery: CommentDelivery } {
    const page = input.pageId ? this.state.pages.get(input.pageId) : [...this.state.pages.values()][0];
    if (!page) throw new Error(`no Page ${input.pageId ?? '(none added)'}`);
    const instagram = input.platform === 'instagram';
    if (instagram && !page.instagram) throw new Error(`Page ${page.id} has no Instagram account`);
    const postId = input.postId ?? (instagram ? `179${digits(14)}` : `${page.id}_${digits()}`);
    const id = input.id ?? (instagram ? `178${digits(14)}` : `${postId.split('_').pop()}_${digits()}`);
    const comment: SandboxComment = {
      id,
      platform: input.platform,
      pageId: page.id,
      accountId: instagram ? page.instagram!.id : page.id,
      postId,
      parentId: input.parentId ?? null,
      from: input.from ?? (instagram ? { id: `1784${digits(13)}`, username: 'sandbox.fan' } : { id: `100${digits(12)}`, name: 'Sandbox Fan' }),
      text: input.text ?? 'Love this! How much is it?',
      createdTime: input.createdTime ?? Date.now(),
      hidden: false,
      removed: false,
      replies: [],
    };
    this.state.comments.set(comment.id, comment);
    return { comment, delivery: this.delivery(comment, 'add') };
  }

  /** Edits, removals and hiding done in Meta's own apps. Instagram sends only new comments. */
  change(id: string, verb: Exclude<FeedVerb, 'add'>, text?: string): CommentDelivery | null {
    const comment = this.require(id);
    if (verb === 'edited' && text !== undefined) comment.text = text;
    if (verb === 'remove') comment.removed = true;
    if (verb === 'hide' || verb === 'unhide') comment.hidden = verb === 'hide';
    return comment.platform === 'facebook' ? this.delivery(comment, verb) : null;
  }

  require(id: string): SandboxComment {
    const comment = this.state.comments.get(id);
    if (!comment || comment.removed) throw faults.unknownObject(id);
    return comment;
  }

  /** The commenter's Page-scoped id: on Facebook it differs from the id the comment shows. */
  static recipientOf(comment: SandboxComment): string {
    return comment.platform === 'instagram' ? comment.from.id : `ps${comment.from.id}`;
  }

  /** `recipient: {comment_id}`: one private reply per comment, within 7 days, on the right endpoint. */
  privateReply(page: SandboxPage, instagramAccountId: string | undefined, commentId: string): SandboxComment {
    const comment = this.require(commentId);
    const onInstagram = comment.platform === 'instagram';
    if (comment.pageId !== page.id || onInstagram !== (instagramAccountId !== undefined)) throw faults.unknownObject(commentId);
    if (comment.privateReply) throw new GraphFault('(#10900) Activity already replied to', 10900);
    if (Date.now() - comment.createdTime > PRIVATE_REPLY_WINDOW_MS) throw new GraphFault('(#10903) This user cant reply to this activity', 10903);
    return comment;
  }

  /** A public reply by the Page / account: Meta announces it like any comment, from the account. */
  reply(page: SandboxPage, commentId: string, platform: SandboxComment['platform'], text: string): { id: string; delivery: CommentDelivery } {
    const parent = this.require(commentId);
    if (parent.pageId !== page.id || parent.platform !== platform) throw faults.unknownObject(commentId);
    if (typeof text !== 'string' || text === '') throw faults.invalidParameter('The parameter message is required');
    const from = platform === 'instagram' ? { id: page.instagram!.id, username: page.instagram!.username } : { id: page.id, name: page.name };
    const { comment } = this.add({ platform, pageId: page.id, postId: parent.postId, parentId: parent.id, text, from });
    parent.replies.push({ id: comment.id, text });
    return { id: comment.id, delivery: this.delivery(comment, 'add') };
  }

  private delivery(comment: SandboxComment, verb: FeedVerb): CommentDelivery {
    if (comment.platform === 'instagram') {
      return changesBody('instagram', comment.accountId, [
        instagramCommentChange({ commentId: comment.id, mediaId: comment.postId, parentId: comment.parentId, from: comment.from, text: comment.text }),
      ]);
    }
    return changesBody('messenger', comment.accountId, [
      feedCommentChange({
        pageId: comment.pageId,
        postId: comment.postId,
        commentId: comment.id,
        parentId: comment.parentId,
        from: comment.from,
        message: comment.text,
        verb,
        // Changes after the comment carry the time they happened.
        createdTime: verb === 'add' ? comment.createdTime : Date.now(),
      }),
    ]);
  }
}
