/** The value of one series (`name` or `name{labels}`, exactly as exposed) in a `/metrics` text, or undefined without it. */
export function metricSample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}
