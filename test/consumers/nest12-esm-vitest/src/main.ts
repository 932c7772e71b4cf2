import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module.js';

const app = await NestFactory.create(
  AppModule.forRoot({ host: process.env.REDIS_HOST ?? '127.0.0.1', port: Number(process.env.REDIS_PORT ?? 6379) }),
);
app.enableShutdownHooks();
await app.listen(Number(process.env.PORT ?? 3000));
