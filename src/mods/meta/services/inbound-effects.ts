/** What one unit of inbound work changed, announced over realtime once its transaction commits. */
export class InboundEffects {
  readonly createdMessages = new Set<string>();
  readonly updatedMessages = new Set<string>();
  readonly conversations = new Set<string>();

  updated(ids: Iterable<string>): void {
    for (const id of ids) this.updatedMessages.add(id);
  }
}
