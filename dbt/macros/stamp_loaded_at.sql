{#
  Seed post-hook. An EL tool stamps each row with the time it landed; seeds do not, so
  without this the raw tables would have no load time and source freshness could not be
  measured. The seed files carry an empty _loaded_at column (rather than the hook adding
  one) so that a re-seed, which truncates and reloads the existing table, still matches
  the file's columns; the hook then stamps the fresh rows.
  The column is timestamptz so the age does not depend on the session's time zone.
#}
{% macro stamp_loaded_at(column_name='_loaded_at') -%}
    update {{ this }} set {{ column_name }} = {{ dbt.current_timestamp() }}
{%- endmacro %}
