import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { MessageChannel } from '../messaging/message-channel';

export class ContactIdentityView {
  @ApiProperty({ enum: MessageChannel }) channel: MessageChannel;
  @ApiProperty({ description: 'PSID (Messenger) or IGSID (Instagram)' }) externalId: string;
  @ApiPropertyOptional({ description: 'Messenger: the Page the PSID belongs to' }) pageId?: string;
  @ApiPropertyOptional({ description: 'Instagram: the professional account the IGSID belongs to' }) igAccountId?: string;
}

export class ContactSignalsView {
  @ApiProperty({ nullable: true, type: Number }) followerCount: number | null;
  @ApiProperty({ nullable: true, type: Boolean }) isVerifiedUser: boolean | null;
  @ApiProperty({ nullable: true, type: Boolean }) isUserFollowBusiness: boolean | null;
  @ApiProperty({ nullable: true, type: Boolean }) isBusinessFollowUser: boolean | null;
}

/** A contact with its channel identities, profile and Instagram routing signals. */
export class ContactView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ nullable: true, type: String }) displayName: string | null;
  @ApiProperty({ nullable: true, type: String }) firstName: string | null;
  @ApiProperty({ nullable: true, type: String }) lastName: string | null;
  @ApiProperty({ nullable: true, type: String }) username: string | null;
  @ApiProperty({ nullable: true, type: String }) avatarUrl: string | null;
  @ApiProperty({ type: [ContactIdentityView] }) identities: ContactIdentityView[];
  @ApiProperty({ type: ContactSignalsView }) signals: ContactSignalsView;
  @ApiProperty() createdAt: string;
}
