with

-- No partition filter here: a view keeps the SQL it was created with, so a
-- filter on the partition var would stay stuck on the day of the last build
-- that selected this view. Readers filter on event_date; the filter reaches
-- the raw table through the deduplication, which is partitioned by that day.
source as (

    select * from {{ source('helpdesk', 'ticket_events') }}

),

deduplicated as (

    -- A re-sent event keeps its first landed copy. Duplicates are counted
    -- within a landing partition; across partitions a check reports them.
    select
        *,
        row_number() over (
            partition by partition_date, event_id
            order by source_file, source_line
        ) as copy_number
    from source

),

final as (

    select
        event_id,
        ticket_id,
        customer_id,
        agent_id,
        event_type,
        channel,
        priority,
        category,
        status,
        source_file,
        source_line,
        ingest_run_id,
        partition_date as event_date,
        event_at,
        ingested_at
    from deduplicated
    where copy_number = 1

)

select * from final
