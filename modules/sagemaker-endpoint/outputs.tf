output "endpoint_name" {
  description = "Name of the endpoint (InvokeEndpoint, CloudWatch EndpointName dimension)."
  value       = aws_sagemaker_endpoint.this.name
}

output "endpoint_arn" {
  description = "ARN of the endpoint."
  value       = aws_sagemaker_endpoint.this.arn
}

output "endpoint_config_name" {
  description = "Name of the endpoint configuration in service (<name>-<hash of its content>)."
  value       = aws_sagemaker_endpoint_configuration.this.name
}

output "endpoint_config_arn" {
  description = "ARN of the endpoint configuration in service."
  value       = aws_sagemaker_endpoint_configuration.this.arn
}

output "model_names" {
  description = "Model name per variant (shadow variant included): <name>-<variant>-<hash of the model>."
  value       = { for variant, model in aws_sagemaker_model.this : variant => model.name }
}

output "variant_names" {
  description = "Names of the production variants, in order."
  value       = [for v in var.variants : v.name]
}

output "shadow_variant_name" {
  description = "Name of the shadow variant, or null."
  value       = try(var.shadow_variant.name, null)
}

output "rollback_alarm_names" {
  description = "Every alarm SageMaker watches during an update: the module's three, then extra_rollback_alarm_names."
  value       = local.rollback_alarm_names
}

output "rollback_alarm_arns" {
  description = "ARNs of the module's rollback alarms, by kind (5xx-rate, 4xx-rate, p99-model-latency)."
  value = merge(
    { for kind, alarm in aws_cloudwatch_metric_alarm.rollback_error_rate : kind => alarm.arn },
    { for kind, alarm in aws_cloudwatch_metric_alarm.rollback_latency : kind => alarm.arn },
  )
}

output "scalable_target_resource_ids" {
  description = "Application Auto Scaling resource id per scaled variant (endpoint/<name>/variant/<variant>)."
  value       = { for variant, target in aws_appautoscaling_target.variant : variant => target.resource_id }
}

output "data_capture_s3_uri" {
  description = "Where captured requests and responses land (null when data capture is off)."
  value       = var.data_capture.enabled ? var.data_capture.destination_s3_uri : null
}

output "volume_kms_key_arn" {
  description = "The KMS key of the ML storage volumes, or null when left out (instance types with local NVMe storage, serverless)."
  value       = local.volume_kms_key_arn
}
