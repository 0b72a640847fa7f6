{% test reconciles_with_landing(
    model,
    column_name,
    landed,
    landed_column,
    landed_partition_column,
    partition_column
) %}
{#- Fails for every built partition where the model's rows differ from the
    distinct landed keys of the same partition. -#}
with

built as (

    select
        {{ partition_column }} as partition_day,
        count(*) as built_rows
    from {{ model }}
    group by {{ partition_column }}

),

landed as (

    select
        {{ landed_partition_column }} as partition_day,
        count(distinct {{ landed_column }}) as landed_keys
    from {{ landed }}
    where {{ factory_partition_filter(landed_partition_column) }}
    group by {{ landed_partition_column }}

),

compared as (

    select
        coalesce(built.partition_day, landed.partition_day) as partition_day,
        coalesce(built.built_rows, 0) as built_rows,
        coalesce(landed.landed_keys, 0) as landed_keys
    from built
    full outer join landed
        on built.partition_day = landed.partition_day

)

select * from compared
where built_rows <> landed_keys
{% endtest %}
