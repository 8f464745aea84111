import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  CHAT_LIMITS,
  CHAT_ROLES,
  type ChatCancelRequest,
  type ChatMessage,
  type ChatOptions,
  type ChatRole,
  type ChatStartRequest,
} from '@byok/contracts';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsIn,
  IsInt,
  IsNumber,
  IsObject,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
  ValidateNested,
} from 'class-validator';

const STREAM_ID = /^[A-Za-z0-9_-]{1,64}$/;

export class ChatMessageDto implements ChatMessage {
  @ApiProperty({ enum: CHAT_ROLES })
  @IsIn(CHAT_ROLES)
  role!: ChatRole;

  @ApiProperty()
  @IsString()
  @MaxLength(CHAT_LIMITS.maxMessageChars)
  content!: string;
}

export class ChatOptionsDto implements ChatOptions {
  @ApiPropertyOptional()
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  maxTokens?: number;

  @ApiPropertyOptional()
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(2)
  temperature?: number;
}

export class ChatStartDto implements ChatStartRequest {
  @ApiProperty({ description: 'Chosen by the client; names the stream in every event.', example: 'c1' })
  @IsString()
  @Matches(STREAM_ID, { message: 'id must be 1-64 letters, digits, - or _' })
  id!: string;

  @ApiProperty({ example: 'openai' })
  @IsString()
  @MinLength(1)
  @MaxLength(64)
  provider!: string;

  @ApiProperty({ example: 'gpt-4o-mini' })
  @IsString()
  @MinLength(1)
  @MaxLength(CHAT_LIMITS.maxModelLength)
  model!: string;

  @ApiProperty({ type: [ChatMessageDto] })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(CHAT_LIMITS.maxMessages)
  // ValidateNested alone accepts a nested array (its items are validated instead, vacuously if empty).
  @IsObject({ each: true })
  @ValidateNested({ each: true })
  @Type(() => ChatMessageDto)
  messages!: ChatMessageDto[];

  @ApiPropertyOptional({ type: ChatOptionsDto })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => ChatOptionsDto)
  options?: ChatOptionsDto;
}

export class ChatCancelDto implements ChatCancelRequest {
  @IsString()
  @Matches(STREAM_ID, { message: 'id must be 1-64 letters, digits, - or _' })
  id!: string;
}
