import { context, type Context } from '@opentelemetry/api';
import { Observable } from 'rxjs';

/**
 * Subscribes to `source` with `ctx` active: a call an adapter makes once another call has
 * answered (in the context that answer came in) still belongs to its caller's span.
 */
export const subscribedIn = <T>(ctx: Context, source: Observable<T>): Observable<T> =>
  new Observable<T>((subscriber) => context.with(ctx, () => source.subscribe(subscriber)));
