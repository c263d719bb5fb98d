import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

/** A person who messages an organization, on any channel. */
@Entity('contacts')
@Index(['organizationId', 'createdAt'])
export class Contact {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'organization_id', type: 'uuid' })
  organizationId: string;

  @Column({ name: 'display_name', type: 'text', nullable: true })
  displayName: string | null;

  @Column({ name: 'first_name', type: 'text', nullable: true })
  firstName: string | null;

  @Column({ name: 'last_name', type: 'text', nullable: true })
  lastName: string | null;

  @Column({ type: 'text', nullable: true })
  username: string | null;

  @Column({ name: 'avatar_url', type: 'text', nullable: true })
  avatarUrl: string | null;

  @Column({ name: 'follower_count', type: 'integer', nullable: true })
  followerCount: number | null;

  @Column({ name: 'is_verified_user', type: 'boolean', nullable: true })
  isVerifiedUser: boolean | null;

  @Column({ name: 'is_user_follow_business', type: 'boolean', nullable: true })
  isUserFollowBusiness: boolean | null;

  @Column({ name: 'is_business_follow_user', type: 'boolean', nullable: true })
  isBusinessFollowUser: boolean | null;

  @Column({ name: 'profile_fetched_at', type: 'timestamptz', nullable: true })
  profileFetchedAt: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
