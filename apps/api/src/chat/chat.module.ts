import { Module } from '@nestjs/common';
import { KeysModule } from '../keys/keys.module';
import { ProvidersModule } from '../providers/providers.module';
import { RateLimitModule } from '../security/rate-limit.module';
import { ChatService } from './chat.service';
import { ChatStreamController } from './chat-stream.controller';
import { ChatGateway } from './socket/chat.gateway';
import { SseChatResponder } from './sse/sse-chat.responder';

@Module({
  imports: [ProvidersModule, KeysModule, RateLimitModule],
  controllers: [ChatStreamController],
  providers: [ChatService, SseChatResponder, ChatGateway],
})
export class ChatModule {}
