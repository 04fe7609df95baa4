import { describe, expectTypeOf, it } from 'vitest';
import type { KafkaStreamsOptions } from './index.js';

describe('KafkaStreamsOptions', () => {
  it('takes only its declared options and the streams config: a misspelt one does not compile', () => {
    // @ts-expect-error 'bootstrapServer' is no option ('bootstrapServers' is)
    const misspelt: KafkaStreamsOptions = { applicationId: 'app', bootstrapServer: 'localhost:9092' };
    // @ts-expect-error 'commitInterval' is no option ('commitIntervalMs' is)
    const unit: KafkaStreamsOptions = { applicationId: 'app', bootstrapServers: 'localhost:9092', commitInterval: 100 };
    const fine: KafkaStreamsOptions = { applicationId: 'app', bootstrapServers: 'localhost:9092', commitIntervalMs: 100, appConfigs: { inputTopic: 'in' } };
    void [misspelt, unit, fine];
    expectTypeOf<string extends keyof KafkaStreamsOptions ? true : false>().toEqualTypeOf<false>();
  });
});
