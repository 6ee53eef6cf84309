{#
  Only the deployed stages (ENV=dev or ENV=live) may write to the shared schemas.
  Anything else (a laptop, CI, a run with ENV forgotten) lands in <base>_sandbox, custom
  schema or not, so that a stray run can never overwrite the tables that dev or live read,
  and a whole sandbox can be dropped with one schema.
  models/staging/__sources.yml repeats this rule for the raw schema (sources cannot call
  macros): change both together.
#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- set base_schema = target.schema -%}
    {%- if env_var('ENV', '') in ['dev', 'live'] -%}
        {%- if custom_schema_name is none -%}
            {{ base_schema }}
        {%- else -%}
            {{ base_schema }}_{{ custom_schema_name | trim }}
        {%- endif -%}
    {%- else -%}
        {{ base_schema }}_sandbox
    {%- endif -%}
{%- endmacro %}
