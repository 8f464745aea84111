import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type {
  SetProviderKeyRequest,
  ValidateProviderKeyRequest,
} from '@byok/contracts';
import { Equals, IsString, MaxLength, MinLength, ValidateIf } from 'class-validator';

/** Longest text accepted in a key field; the provider's own rule is usually far stricter. */
const MAX_KEY_FIELD = 4096;

/**
 * May be left out, but not sent as null: IsOptional would let null through to the service,
 * which tells a field's absence by `undefined`.
 */
const Omittable = (): PropertyDecorator => ValidateIf((_object: object, value: unknown) => value !== undefined);

export class SetProviderKeyDto implements SetProviderKeyRequest {
  @ApiProperty({ example: 'openai' })
  @IsString()
  @MinLength(1)
  @MaxLength(64)
  provider!: string;

  @ApiProperty({ example: 'sk-your-provider-key', description: 'Checked against the provider\'s key format.' })
  @IsString()
  @MaxLength(MAX_KEY_FIELD)
  apiKey!: string;

  @ApiPropertyOptional({
    example: '7d',
    description: 'One of the `lifetimes` GET /api/providers/keys lists; the first (the default) when left out.',
  })
  @Omittable()
  @IsString()
  @MaxLength(16)
  lifetime?: string;
}

export class ClearProviderKeyDto {
  @ApiPropertyOptional({ example: 'openai', description: 'The provider whose key to clear; or send `all`.' })
  @Omittable()
  @IsString()
  @MinLength(1)
  @MaxLength(64)
  provider?: string;

  @ApiPropertyOptional({ example: true, description: 'Clear every key and end the session.' })
  @Omittable()
  @Equals(true)
  all?: true;
}

export class ValidateProviderKeyDto implements ValidateProviderKeyRequest {
  @ApiProperty({ example: 'openai' })
  @IsString()
  @MinLength(1)
  @MaxLength(64)
  provider!: string;

  @ApiPropertyOptional({ description: 'The key to try; without it, the key in effect is tried.' })
  @Omittable()
  @IsString()
  @MaxLength(MAX_KEY_FIELD)
  apiKey?: string;
}
