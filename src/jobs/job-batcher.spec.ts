import { layersOf, SerializedJob } from './job-batcher';

const job = (id: string, queue?: string): SerializedJob => ({ json: id, name: 'test.job', queue });
const ids = (layers: SerializedJob[][]) => layers.map((layer) => layer.map((j) => j.json));

describe('layersOf', () => {
  it('keeps every job in one layer, in caller order, when no queue repeats', () => {
    expect(ids(layersOf([[job('a1', 'q1'), job('a2', 'q2')], [job('b', 'q3')], [job('c')]]))).toEqual([['a1', 'a2', 'b', 'c']]);
  });

  it('puts a later job of a queue one layer after the earlier one, so its id and run_at come later', () => {
    const layers = layersOf([[job('a', 'conv-1'), job('x', 'conv-2')], [job('b', 'conv-1')], [job('c', 'conv-1'), job('y', 'conv-3')], [job('z', 'conv-2')]]);
    expect(ids(layers)).toEqual([['a', 'x', 'y'], ['b', 'z'], ['c']]);
  });

  it('lets jobs without a queue share a layer however many there are', () => {
    expect(ids(layersOf([[job('a'), job('b')], [job('c')]]))).toEqual([['a', 'b', 'c']]);
  });
});
