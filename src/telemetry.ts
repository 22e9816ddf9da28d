import { context, diag, DiagLogLevel, propagation, ROOT_CONTEXT, trace, type DiagLogger } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { defaultResource, resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BasicTracerProvider,
  BatchSpanProcessor,
  ParentBasedSampler,
  SimpleSpanProcessor,
  TraceIdRatioBasedSampler,
  type Sampler,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-base';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import { describeError } from './lib/errors.js';
import { redactUrls, safeUrl, type Logger } from './infra/logger.js';
import type { TelemetrySettings } from './infra/settings.js';

/**
 * The OpenTelemetry SDK, set up here only: the pipeline and the adapters use the vendor-neutral
 * API (`@opentelemetry/api`), whose spans are non-recording, and cost next to nothing, until this
 * registers a tracer provider, the AsyncLocalStorage context manager and the W3C trace-context
 * propagator.
 */
export interface Telemetry {
  /** True when spans are recorded and exported. */
  readonly enabled: boolean;
  /** Exports every span ended so far. */
  flush(): Promise<void>;
  /** Exports what is left, then stops tracing and unregisters it, so that a service started later in this process can register its own. */
  shutdown(): Promise<void>;
}

export interface TelemetryOptions {
  /** Replaces the OTLP exporter; spans are then exported as each ends (tests: an InMemorySpanExporter). */
  readonly exporter?: SpanExporter;
  /** The most links one span keeps (a batch's span links to each of its callers; DB_MAX_BATCH); at least the SDK's 128. */
  readonly maxLinks?: number;
}

const OFF: Telemetry = { enabled: false, flush: async () => undefined, shutdown: async () => undefined };

/** The sampler OTEL_TRACES_SAMPLER names, with OTEL_TRACES_SAMPLER_ARG as the ratio of the ratio samplers. */
export const samplerFor = (settings: Pick<TelemetrySettings, 'sampler' | 'samplerRatio'>): Sampler => {
  switch (settings.sampler) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return new TraceIdRatioBasedSampler(settings.samplerRatio);
    case 'parentbased_always_on':
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(settings.samplerRatio) });
  }
};

/** The SDK reports a failed export as the error serialised to JSON, stack included: its message alone is kept. */
const messageOf = (text: string): string => {
  try {
    const parsed = JSON.parse(text) as { message?: unknown } | null;
    if (typeof parsed?.message === 'string') return parsed.message;
  } catch {
    // not JSON: the text itself
  }
  return text;
};

/**
 * The SDK's own complaints (an export that failed) as one-line warnings of the service's log,
 * URLs without credentials, outside any span: the export that failed may have been set off while a
 * message's span was active, but it is no part of that message.
 */
const diagnosticsTo = (logger: Logger): DiagLogger => {
  const warn = (message: string, ...args: unknown[]): void =>
    context.with(ROOT_CONTEXT, () =>
      logger.warn(
        { detail: redactUrls(args.map((a) => (a instanceof Error ? describeError(a) : String(a))).join(' ')).slice(0, 300) },
        `opentelemetry: ${redactUrls(messageOf(message)).split('\n')[0]!.slice(0, 300)}`,
      ),
    );
  const ignore = (): void => undefined;
  return { error: warn, warn, info: ignore, debug: ignore, verbose: ignore };
};

/**
 * Starts tracing when the settings name an endpoint (or `options.exporter` is given): a provider
 * with the configured sampler and `service.name`, exporting over OTLP/HTTP in batches. Otherwise
 * nothing is registered at all. When another provider is registered in this process already (a
 * second service in one test process), that one is left in place and this service's spans go to it.
 */
export const startTelemetry = (settings: TelemetrySettings, logger: Logger, options: TelemetryOptions = {}): Telemetry => {
  if (settings.tracesUrl === undefined && options.exporter === undefined) return OFF;
  const processor =
    options.exporter === undefined
      ? new BatchSpanProcessor(new OTLPTraceExporter({ url: settings.tracesUrl }))
      : new SimpleSpanProcessor(options.exporter);
  const provider = new BasicTracerProvider({
    resource: defaultResource().merge(resourceFromAttributes({ [ATTR_SERVICE_NAME]: settings.serviceName })),
    sampler: samplerFor(settings),
    spanProcessors: [processor],
    // Attribute values are ids and reasons; a bound keeps a hostile one (a huge message-id) small.
    spanLimits: { attributeValueLengthLimit: 1024, linkCountLimit: Math.max(128, options.maxLinks ?? 0) },
  });
  if (!trace.setGlobalTracerProvider(provider)) {
    logger.warn({}, 'tracing is already set up in this process: its provider is kept');
    void provider.shutdown();
    return OFF;
  }
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  diag.setLogger(diagnosticsTo(logger), DiagLogLevel.WARN);
  logger.info(
    {
      endpoint: settings.tracesUrl === undefined ? 'in memory' : safeUrl(settings.tracesUrl),
      service: settings.serviceName,
      sampler: settings.sampler,
      ...(settings.sampler.endsWith('traceidratio') ? { ratio: settings.samplerRatio } : {}),
    },
    'tracing on',
  );
  let stopping: Promise<void> | undefined;
  return {
    enabled: true,
    flush: () => provider.forceFlush(),
    shutdown: () =>
      (stopping ??= provider
        .shutdown()
        .catch((error: unknown) => logger.warn({ error: redactUrls(describeError(error)) }, 'the last spans could not be exported'))
        .finally(() => {
          trace.disable();
          context.disable();
          propagation.disable();
          diag.disable();
        })),
  };
};
