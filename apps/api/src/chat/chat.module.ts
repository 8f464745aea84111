import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { KeysModule } from '../keys/keys.module';
import { ProvidersModule } from '../providers/providers.module';
import { ChatService } from './chat.service';
import { ChatStreamController } from './chat-stream.controller';
import { ChatGateway } from './socket/chat.gateway';
import { SocketAdmission } from './socket/socket-admission';
import { SseChatResponder } from './sse/sse-chat.responder';

@Module({
  imports: [ProvidersModule, KeysModule, AuthModule],
  controllers: [ChatStreamController],
  providers: [ChatService, SseChatResponder, ChatGateway, SocketAdmission],
})
export class ChatModule {}
