import type { MessageChannel } from '../message-channel';

/**
 * What each channel module registers for its `MessageChannel` values on start-up (a sender, an
 * inbound channel, a comment channel): one per channel, and a missing one is a wiring bug (the
 * channel module is not loaded), never something a request can cause.
 */
export class ChannelMap<T> {
  private readonly entries = new Map<MessageChannel, T>();

  constructor(private readonly kind: string) {}

  register(channel: MessageChannel, entry: T): void {
    if (this.entries.has(channel)) throw new Error(`A ${this.kind} for ${channel} is registered twice`);
    this.entries.set(channel, entry);
  }

  get(channel: MessageChannel): T {
    const entry = this.entries.get(channel);
    if (!entry) throw new Error(`No ${this.kind} registered for ${channel}`);
    return entry;
  }
}
