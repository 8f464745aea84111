import { Body, Controller, Post, Req, Res } from '@nestjs/common';
import { ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { ChatStartDto } from './dto/chat-requests.dto';
import { SseChatResponder } from './sse/sse-chat.responder';

@ApiTags('chat')
@Controller('chat')
export class ChatStreamController {
  constructor(private readonly sse: SseChatResponder) {}

  @Post('stream')
  @ApiProduces('text/event-stream')
  @ApiOperation({ summary: 'Stream a chat answer as server-sent events: delta, done, error.' })
  stream(@Req() req: Request, @Res() res: Response, @Body() dto: ChatStartDto): Promise<void> {
    return this.sse.respond(req, res, dto);
  }
}
