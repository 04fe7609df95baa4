import { describe, expectTypeOf, it } from 'vitest';
import type { StreamsConfig } from './index.js';
import type { TestDriverConfig } from './test-utils/index.js';

describe('StreamsConfig', () => {
  it('takes only its declared options: a misspelt one does not compile', () => {
    // @ts-expect-error 'cacheMaxByte' is no option ('cacheMaxBytes' is)
    const misspelt: StreamsConfig = { applicationId: 'app', cacheMaxByte: 0 };
    // @ts-expect-error settings of your own go in appConfigs
    const loose: StreamsConfig = { applicationId: 'app', 'my.setting': 5 };
    // @ts-expect-error the test driver's config takes the same options
    const driver: TestDriverConfig = { cacheMaxByte: 0 };
    const fine: StreamsConfig = { applicationId: 'app', cacheMaxBytes: 0, appConfigs: { 'my.setting': 5 } };
    expectTypeOf(fine.appConfigs).toEqualTypeOf<Readonly<Record<string, unknown>> | undefined>();
    void [misspelt, loose, driver];
  });

  it("takes only the older formats there are as upgradeFrom", () => {
    // @ts-expect-error the option names a format ('prefixed-changelogs'), not a version
    const version: StreamsConfig = { applicationId: 'app', upgradeFrom: '0.0' };
    const upgrading: StreamsConfig = { applicationId: 'app', upgradeFrom: 'prefixed-changelogs' };
    expectTypeOf(upgrading.upgradeFrom).toEqualTypeOf<'prefixed-changelogs' | undefined>();
    void version;
  });

  it('has no index signature', () => {
    expectTypeOf<string extends keyof StreamsConfig ? true : false>().toEqualTypeOf<false>();
  });
});
