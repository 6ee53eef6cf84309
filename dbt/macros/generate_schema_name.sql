{#
  Only the deployed stages (ENV=dev or ENV=live) may write to the shared schemas.
  Anything else (a laptop, CI, a run with ENV forgotten) lands in <base>_sandbox, custom
  schema or not, so that a stray run can never overwrite the tables that dev or live read,
  and a whole sandbox can be dropped with one schema.
  A pull request's build (PR_NUMBER=N, from `serverless-dbt ci build --pr N`) lands in
  <base>_pr_<N> instead: a schema per pull request, which macros/drop_sandbox.sql drops when
  it closes. PR_NUMBER is refused with ENV=dev or live: a pull request's build must never
  write the shared schemas.
  models/staging/__sources.yml repeats these rules for the raw schema (sources cannot call
  macros): change both together.
#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- set base_schema = target.schema -%}
    {%- set stage = env_var('ENV', '') -%}
    {%- set pr_number = env_var('PR_NUMBER', '') -%}
    {%- if pr_number != '' and not modules.re.fullmatch('[1-9][0-9]{0,9}', pr_number) -%}
        {{ exceptions.raise_compiler_error(
            "PR_NUMBER: must be a pull request's number, 1 to 10 digits not starting with 0, got '"
            ~ pr_number[:20] ~ "'"
        ) }}
    {%- endif -%}
    {%- if pr_number != '' and stage in ['dev', 'live'] -%}
        {{ exceptions.raise_compiler_error(
            "PR_NUMBER: not allowed with ENV=" ~ stage ~ ": a pull request's build must never"
            ~ " write a deployed stage's schemas; unset ENV for it"
        ) }}
    {%- endif -%}
    {%- if stage in ['dev', 'live'] -%}
        {%- if custom_schema_name is none -%}
            {{ base_schema }}
        {%- else -%}
            {{ base_schema }}_{{ custom_schema_name | trim }}
        {%- endif -%}
    {%- elif pr_number != '' -%}
        {{ base_schema }}_pr_{{ pr_number }}
    {%- else -%}
        {{ base_schema }}_sandbox
    {%- endif -%}
{%- endmacro %}
