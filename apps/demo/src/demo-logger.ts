import { ConsoleLogger } from '@nestjs/common';

const QUIET = new Set(['InstanceLoader', 'RoutesResolver', 'RouterExplorer', 'NestFactory', 'NestApplication']);

/** Nest's console logger without the start-up chatter (module and route listings). */
export class DemoLogger extends ConsoleLogger {
  override log(message: unknown, context?: string): void {
    if (context && QUIET.has(context)) return;
    super.log(message, context);
  }
}
