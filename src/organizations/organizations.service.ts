import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { ApiKeyService } from './api-key.service';
import { Organization } from './organization.entity';

export interface CreatedOrganization {
  id: string;
  name: string;
  apiKey: string;
}

@Injectable()
export class OrganizationsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly apiKeys: ApiKeyService,
  ) {}

  async create(name: string): Promise<CreatedOrganization> {
    return this.dataSource.transaction(async (manager) => {
      const organization = await manager.save(manager.create(Organization, { name }));
      const apiKey = await this.apiKeys.issue(organization.id, manager);
      return { id: organization.id, name: organization.name, apiKey };
    });
  }
}
