import { InitialSchema1795299514112 } from './migrations/1795299514112-InitialSchema';
import { MetaOAuth1795300000000 } from './migrations/1795300000000-MetaOAuth';
import { OutboundSends1795300200000 } from './migrations/1795300200000-OutboundSends';
import { JobInstances1795300400000 } from './migrations/1795300400000-JobInstances';
import { EncryptionKeyCheck1795410000000 } from './migrations/1795410000000-EncryptionKeyCheck';
import { ApiKeyLastUsed1795410000100 } from './migrations/1795410000100-ApiKeyLastUsed';
import { InstanceHeartbeat1795410000200 } from './migrations/1795410000200-InstanceHeartbeat';
import { TenantScopedIdentities1795420000000 } from './migrations/1795420000000-TenantScopedIdentities';
import { OAuthBrowserBinding1795420100000 } from './migrations/1795420100000-OAuthBrowserBinding';
import { Comments1795430000000 } from './migrations/1795430000000-Comments';
import { PrivateReplyLookup1795430100000 } from './migrations/1795430100000-PrivateReplyLookup';
import { RicherSends1795440000000 } from './migrations/1795440000000-RicherSends';
import { OrderedQueues1795440100000 } from './migrations/1795440100000-OrderedQueues';
import { DomainEvents1795450000000 } from './migrations/1795450000000-DomainEvents';
import { IntegratorWebhooks1795450100000 } from './migrations/1795450100000-IntegratorWebhooks';
import { MessageAgent1795470000000 } from './migrations/1795470000000-MessageAgent';
import { ContactIdentities1795600000000 } from './migrations/1795600000000-ContactIdentities';
import { DropSocketIoAttachments1795600100000 } from './migrations/1795600100000-DropSocketIoAttachments';
import { ParkedQueueHolds1795700000000 } from './migrations/1795700000000-ParkedQueueHolds';
import { AddQuietJob1795700100000 } from './migrations/1795700100000-AddQuietJob';
import { PacingSlowSince1795700200000 } from './migrations/1795700200000-PacingSlowSince';
import { AddQuietJobs1795700300000 } from './migrations/1795700300000-AddQuietJobs';
import { RelayAnnouncesAtOnce1795700400000 } from './migrations/1795700400000-RelayAnnouncesAtOnce';
import { AddQuietJobsWithNewKeys1795700500000 } from './migrations/1795700500000-AddQuietJobsWithNewKeys';
import { InboundQueue1795700700000 } from './migrations/1795700700000-InboundQueue';
import { WebhookDeliveriesClaimed1795700600000 } from './migrations/1795700600000-WebhookDeliveriesClaimed';

/** Every migration, in order, as class references. */
export const MIGRATIONS: Function[] = [
  InitialSchema1795299514112,
  MetaOAuth1795300000000,
  OutboundSends1795300200000,
  JobInstances1795300400000,
  EncryptionKeyCheck1795410000000,
  ApiKeyLastUsed1795410000100,
  InstanceHeartbeat1795410000200,
  TenantScopedIdentities1795420000000,
  OAuthBrowserBinding1795420100000,
  Comments1795430000000,
  PrivateReplyLookup1795430100000,
  RicherSends1795440000000,
  OrderedQueues1795440100000,
  DomainEvents1795450000000,
  IntegratorWebhooks1795450100000,
  MessageAgent1795470000000,
  ContactIdentities1795600000000,
  DropSocketIoAttachments1795600100000,
  ParkedQueueHolds1795700000000,
  AddQuietJob1795700100000,
  PacingSlowSince1795700200000,
  AddQuietJobs1795700300000,
  RelayAnnouncesAtOnce1795700400000,
  AddQuietJobsWithNewKeys1795700500000,
  WebhookDeliveriesClaimed1795700600000,
  InboundQueue1795700700000,
];
