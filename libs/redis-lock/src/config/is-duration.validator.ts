import { registerDecorator, type ValidationArguments, type ValidationOptions } from 'class-validator';
import { parseDuration } from './duration.js';

/**
 * class-validator rule: the value is a {@link Duration} (ms number or `'30s'`-style string)
 * between `minMs` and `maxMs` inclusive.
 */
export function IsDuration(minMs: number, maxMs: number, options?: ValidationOptions): PropertyDecorator {
  return (target: object, propertyName: string | symbol) => {
    registerDecorator({
      name: 'isDuration',
      target: target.constructor,
      propertyName: String(propertyName),
      constraints: [minMs, maxMs],
      options,
      validator: {
        validate(value: unknown) {
          const ms = parseDuration(value);
          return ms !== undefined && ms >= minMs && ms <= maxMs;
        },
        defaultMessage(args: ValidationArguments) {
          return `must be a duration (ms number or string like '30s') between ${args.constraints[0]} ms and ${args.constraints[1]} ms`;
        },
      },
    });
  };
}
