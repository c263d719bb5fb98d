import { Module } from '@nestjs/common';
import { MetaModule } from '../mods/meta/meta.module';
import { InboxSessionController } from './inbox-session.controller';

/** What the browser inbox asks about its session. */
@Module({
  imports: [MetaModule],
  controllers: [InboxSessionController],
})
export class InboxModule {}
