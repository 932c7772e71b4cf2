import { Controller, Get, Post } from '@nestjs/common';
import { CounterService, type Increment } from './counter.service.js';

@Controller('counter')
export class CounterController {
  constructor(private readonly counter: CounterService) {}

  @Post('increment')
  increment(): Promise<Increment> {
    return this.counter.increment();
  }

  @Get()
  async read(): Promise<{ value: number }> {
    return { value: await this.counter.read() };
  }
}
