import { Module } from '@nestjs/common';
import { MetaModule } from '../mods/meta/meta.module';
import { InboxAssets } from './inbox-assets';
import { InboxPageController } from './inbox-page.controller';
import { InboxSessionController } from './inbox-session.controller';

/** The reference inbox served at `/inbox`, and what it asks about its session. */
@Module({
  imports: [MetaModule],
  controllers: [InboxPageController, InboxSessionController],
  providers: [InboxAssets],
})
export class InboxModule {}
