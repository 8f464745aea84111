import { Body, Controller, Get, HttpCode, Post, Req, UseGuards } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { ProviderKeyStatus, ProviderKeysResponse, ValidateProviderKeyResponse } from '@byok/contracts';
import type { Request } from 'express';
import { RateLimitGuard, RateLimited } from '../limits/rate-limit.guard';
import { ClearProviderKeyDto, SetProviderKeyDto, ValidateProviderKeyDto } from './dto/key-requests.dto';
import { KeysService } from './keys.service';

@ApiTags('provider keys')
@Controller('providers/keys')
export class KeysController {
  constructor(private readonly keys: KeysService) {}

  @Get()
  @ApiOperation({ summary: 'Key status of every provider: source (env, session, none), masked key, policy.' })
  list(@Req() req: Request): Promise<ProviderKeysResponse> {
    return this.keys.list(req);
  }

  @Post('set')
  @HttpCode(200)
  @UseGuards(RateLimitGuard)
  @RateLimited('keys')
  @ApiOperation({ summary: "Store the user's key for a provider in their session's keyring (encrypted)." })
  set(@Req() req: Request, @Body() dto: SetProviderKeyDto): Promise<ProviderKeyStatus> {
    return this.keys.set(req, dto);
  }

  @Post('clear')
  @HttpCode(200)
  @ApiOperation({ summary: "Remove the user's key for one provider, or all of them." })
  clear(@Req() req: Request, @Body() dto: ClearProviderKeyDto): Promise<ProviderKeysResponse> {
    return this.keys.clear(req, dto);
  }

  @Post('validate')
  @HttpCode(200)
  @UseGuards(RateLimitGuard)
  @RateLimited('keys')
  @ApiOperation({ summary: 'Try a key (given, or the one in effect) with one cheap provider call; stores nothing.' })
  validate(@Req() req: Request, @Body() dto: ValidateProviderKeyDto): Promise<ValidateProviderKeyResponse> {
    return this.keys.validate(req, dto);
  }
}
