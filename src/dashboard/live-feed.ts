/** What the page does with the daemon's event stream. */
export interface FeedHandlers {
  /** Reads the lists (batch, jobs); what the stream says meanwhile is held and applied after. */
  readonly load: (first: boolean) => Promise<void>;
  /** Told once the lists are read and what was held is applied. */
  readonly loaded: () => void;
  /** Told when a read of the lists failed. */
  readonly failed: () => void;
  /** Each event type's handler. */
  readonly on: Readonly<Record<string, (data: string) => void>>;
}

/** What the page can ask of the feed once it follows the stream. */
export interface Feed {
  /** Reads the lists again (after a change the events do not carry whole), holding what the stream says meanwhile, as the first read does. */
  reload(): void;
}

/**
 * Follows the daemon's event stream. The stream is opened first and the lists read once it is
 * open (again after a reconnect, or when the page asks), with what it says meanwhile held and
 * applied after them, in order: nothing that happens between a read of the lists and its answer
 * is missed, and a list read before an event never overwrites it.
 */
export function followFeed(url: string, handlers: FeedHandlers): Feed {
  const events = new EventSource(url);
  let held: [(data: string) => void, string][] | null = [];
  /** Reads of the lists not yet answered: the stream is held until the last one is. */
  let reading = 0;
  let first = true;
  const load = () => {
    held ??= [];
    reading++;
    handlers
      .load(first)
      .then(() => {
        first = false;
        if (--reading > 0) return;
        // Held events apply in order after the last list read: each again, whatever the lists say.
        for (const [handler, data] of held ?? []) handler(data);
        held = null;
        handlers.loaded();
      })
      .catch(() => {
        reading--;
        handlers.failed();
      });
  };
  for (const [type, handler] of Object.entries(handlers.on))
    events.addEventListener(type, (event) => {
      const { data } = event as MessageEvent<string>;
      if (held) held.push([handler, data]);
      else handler(data);
    });
  events.addEventListener('open', load);
  // A stream that cannot open at all still leaves the page what the lists say.
  events.addEventListener('error', () => {
    if (first) load();
  });
  return { reload: load };
}
