import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { isUuid } from '../common/cursor';
import { DomainError, DomainErrorCode, notFound } from '../common/domain-error';
import { AddressVettingError } from '../common/vetted-address';
import { iso } from '../messaging/views/message.view';
import { EncryptionService } from '../security/encryption.service';
import { IntegratorHttpClient } from './integrator-http.client';
import { CreateWebhookDto, UpdateWebhookDto } from './webhook.dto';
import { CreatedWebhookEndpointView, RotatedSecretView, WebhookEndpointView } from './webhook.view';
import { WebhookEndpoint } from './webhook-endpoint.entity';
import { newWebhookSecret } from './webhook-signer';

/** How long the secret before a rotation keeps signing. */
export const PREVIOUS_SECRET_TTL_MS = 24 * 3600 * 1000;

/** An organization's integrator endpoints: registration (secret shown once), changes, rotation. */
@Injectable()
export class WebhookEndpointsService {
  constructor(
    @InjectRepository(WebhookEndpoint) private readonly endpoints: Repository<WebhookEndpoint>,
    private readonly encryption: EncryptionService,
    private readonly http: IntegratorHttpClient,
  ) {}

  async create(organizationId: string, request: CreateWebhookDto): Promise<CreatedWebhookEndpointView> {
    await this.refuseUnsafe(request.url);
    const secret = newWebhookSecret();
    const endpoint = await this.endpoints.save(
      this.endpoints.create({
        organizationId,
        url: request.url,
        events: request.events,
        description: request.description ?? null,
        enabled: true,
        secret: this.encryption.encrypt(secret),
      }),
    );
    return { ...view(endpoint), secret };
  }

  async list(organizationId: string): Promise<{ data: WebhookEndpointView[] }> {
    const rows = await this.endpoints.find({ where: { organizationId }, order: { createdAt: 'ASC', id: 'ASC' } });
    return { data: rows.map(view) };
  }

  async get(organizationId: string, id: string): Promise<WebhookEndpointView> {
    return view(await this.find(organizationId, id));
  }

  async update(organizationId: string, id: string, request: UpdateWebhookDto): Promise<WebhookEndpointView> {
    const endpoint = await this.find(organizationId, id);
    if (request.url !== undefined && request.url !== endpoint.url) await this.refuseUnsafe(request.url);
    if (request.url !== undefined) endpoint.url = request.url;
    if (request.events !== undefined) endpoint.events = request.events;
    if (request.description !== undefined) endpoint.description = request.description;
    if (request.enabled !== undefined) {
      // Re-enabled by a person: the 5-day failure clock starts again.
      if (request.enabled && !endpoint.enabled) endpoint.failingSince = null;
      endpoint.enabled = request.enabled;
    }
    return view(await this.endpoints.save(endpoint));
  }

  async remove(organizationId: string, id: string): Promise<void> {
    await this.endpoints.delete({ id: (await this.find(organizationId, id)).id });
  }

  async rotateSecret(organizationId: string, id: string): Promise<RotatedSecretView> {
    const endpoint = await this.find(organizationId, id);
    const secret = newWebhookSecret();
    await this.endpoints.update(
      { id: endpoint.id },
      { secret: this.encryption.encrypt(secret), previousSecret: endpoint.secret, previousSecretExpiresAt: new Date(Date.now() + PREVIOUS_SECRET_TTL_MS) },
    );
    return { secret };
  }

  /** The secrets that sign now: the current one, and the one before a rotation for 24 h. */
  signingSecrets(endpoint: Pick<WebhookEndpoint, 'secret' | 'previousSecret' | 'previousSecretExpiresAt'>, now: Date): string[] {
    const secrets = [this.encryption.decrypt(endpoint.secret)];
    if (endpoint.previousSecret && endpoint.previousSecretExpiresAt && endpoint.previousSecretExpiresAt > now) {
      secrets.push(this.encryption.decrypt(endpoint.previousSecret));
    }
    return secrets;
  }

  async find(organizationId: string, id: string): Promise<WebhookEndpoint> {
    const endpoint = isUuid(id) ? await this.endpoints.findOneBy({ id, organizationId }) : null;
    if (!endpoint) throw notFound('Webhook endpoint');
    return endpoint;
  }

  private async refuseUnsafe(url: string): Promise<void> {
    try {
      await this.http.vet(url);
    } catch (error) {
      if (!(error instanceof AddressVettingError)) throw error;
      const reason =
        error.reason === 'refused'
          ? 'url resolves to a loopback, private or link-local address; such endpoints are refused unless WEBHOOKS_ALLOW_PRIVATE_NETWORKS=true'
          : `url cannot be resolved: ${error.message}`;
      throw new DomainError(DomainErrorCode.UnprocessableRequest, reason);
    }
  }
}

function view(endpoint: WebhookEndpoint): WebhookEndpointView {
  return {
    id: endpoint.id,
    url: endpoint.url,
    events: endpoint.events,
    description: endpoint.description,
    enabled: endpoint.enabled,
    createdAt: iso(endpoint.createdAt)!,
  };
}
