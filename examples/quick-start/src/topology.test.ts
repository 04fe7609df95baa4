import { describe, expect, it } from 'vitest';
import { Serdes } from '@tributary/streams';
import { TopologyTestDriver } from '@tributary/streams/test';
import { buildTopology, topics, type PageEvent, type UserClick } from './topology.js';

function event(overrides: Partial<PageEvent>): PageEvent {
  return { userId: 'u1', page: '/', kind: 'view', userAgent: 'Mozilla/5.0', timestamp: 1_000, ...overrides };
}

describe('quick-start topology', () => {
  it('drops bots, routes views and re-keys clicks by user', () => {
    const driver = new TopologyTestDriver(buildTopology(), { applicationId: 'quick-start-test' });
    const input = driver.createInputTopic(topics.input, Serdes.String(), Serdes.Json<PageEvent>());
    const views = driver.createOutputTopic(topics.views, Serdes.String(), Serdes.String());
    const clicks = driver.createOutputTopic(topics.clicks, Serdes.String(), Serdes.Json<UserClick>());

    input.pipeInput('/docs', event({ page: '/docs' }), 1_000);
    input.pipeInput('/docs', event({ page: '/docs', userAgent: 'Googlebot/2.1' }), 1_001);
    input.pipeInput('/pricing', event({ page: '/pricing', kind: 'click', userId: 'u7', timestamp: 1_002 }), 1_002);

    expect(views.readKeyValuesToList()).toEqual([{ key: '/docs', value: '/docs' }]);
    const [click] = clicks.readRecordsToList();
    expect(click?.key).toBe('u7');
    expect(click?.value).toEqual({ page: '/pricing', at: 1_002 });
    expect(click?.timestamp).toBe(1_002);
    expect(clicks.isEmpty()).toBe(true);
    driver.close();
  });
});
