-- The storage ceiling of webhook ingest: one transaction per event, inserting one row into
-- `events` with a realistic JSONB payload (what one stored webhook costs, without the
-- server's reads, sequence locks and call folding). Variable :apps (1 or 100) spreads rows
-- over that many apps. See BENCHMARKS.md.
\set app random(1, :apps)
INSERT INTO events (app_id, seq, dedup_key, kind, call_id, state, event_timestamp, target_id, payload, received_at)
SELECT ('00000000-0000-0000-0000-' || lpad(:app::text, 12, '0'))::uuid, s, 'k' || s, 'call', s, 'ringing',
       1731624040000, 5527348325810176,
       jsonb_build_object('call_id', s, 'state', 'ringing', 'direction', 'inbound',
                          'event_timestamp', 1731624040000, 'external_number', '+15105550100',
                          'internal_number', '+15105550199',
                          'target', jsonb_build_object('id', 5527348325810176, 'type', 'user', 'name', 'Agent'),
                          'contact', jsonb_build_object('id', 6131436978913280, 'type', 'local', 'name', 'Caller',
                                                        'phone', '+15105550100')),
       now()
FROM (SELECT nextval('pgbench_seq') AS s) AS n;
