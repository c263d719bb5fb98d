/** The channels a conversation can run on. Each is served by one registered channel module. */
export enum MessageChannel {
  FacebookMessenger = 'facebook_messenger',
  InstagramDm = 'instagram_dm',
}

export const MESSAGE_CHANNELS: readonly MessageChannel[] = Object.values(MessageChannel);
