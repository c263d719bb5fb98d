/**
 * The socket latency part in a process of its own, forked by `runSocketLatencyApart`: the bench
 * process by then holds every earlier part's prebuilt bodies and results, and its garbage
 * collections delayed the measured socket's receipts (p50 55 ms on its own, 125–150 ms after
 * the other parts) while the service was far from busy.
 */
import { runSocketLatency, SocketLatencyOptions } from './socket-latency';

process.once('message', (options: Omit<SocketLatencyOptions, 'log'>) => {
  runSocketLatency({ ...options, log: (line) => process.send!({ type: 'log', line }) })
    .then((report) => process.send!({ type: 'report', report }))
    .catch((error: Error) => process.send!({ type: 'error', error: error.message }))
    .finally(() => process.disconnect());
});
