# SageMaker hosting instance families whose instances carry local NVMe instance-store volumes.
#
# AWS (CreateEndpointConfig, KmsKeyId): "Certain Nitro-based instances include local storage, dependent on the
# instance type. Local storage volumes are encrypted using a hardware module on the instance. You can't request
# a KmsKeyId when using an instance type with local storage."
# https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateEndpointConfig.html
# https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/InstanceStorage.html#instance-store-volumes
#
# Matched on the exact family (the middle part of ml.<family>.<size>), never on a substring: "g5" is listed,
# "g5n" or "inf2" are not unless added here. Keep this list in step with the EC2 instance-store table when AWS
# adds a family to SageMaker hosting.
locals {
  instance_families_with_local_storage = toset([
    "c5d", "c6gd", "c6id",
    "m5d", "m6gd", "m6id",
    "r5d", "r6gd", "r6id",
    "g4dn", "g5", "g6", "g6e",
    "p3dn", "p4d", "p4de", "p5", "p5e", "p5en",
    "trn1", "trn1n",
  ])
}
