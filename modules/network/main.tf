# Checks at plan that every requested zone exists, is available and needs no opt-in in the provider's region.
# The filter pins the result set to the zones the caller named: it never grows when AWS adds a zone.
data "aws_availability_zones" "selected" {
  state = "available"

  filter {
    name   = "zone-name"
    values = var.availability_zones
  }

  filter {
    name   = "opt-in-status"
    values = ["opt-in-not-required"]
  }

  lifecycle {
    postcondition {
      condition     = length(setsubtract(var.availability_zones, self.names)) == 0
      error_message = "availability_zones must be available Availability Zones of the provider's region that need no opt-in; not found: ${join(", ", setsubtract(var.availability_zones, self.names))}."
    }
  }
}

locals {
  # Zones in the caller's order, read through the data source so that its postcondition runs first.
  azs     = [for az in var.availability_zones : az if contains(data.aws_availability_zones.selected.names, az)]
  n_zones = length(var.availability_zones)

  # Derived layout (newbits 4 = 16 equal blocks of the VPC): private subnets take blocks 0..5, public subnets
  # blocks 8..13, so both tiers keep room to grow and a /24 VPC still yields /28 subnets (the AWS minimum).
  private_subnet_cidrs = length(var.private_subnet_cidrs) > 0 ? var.private_subnet_cidrs : [
    for i in range(local.n_zones) : cidrsubnet(var.cidr_block, 4, i)
  ]
  public_subnet_cidrs = !var.create_internet_gateway ? [] : length(var.public_subnet_cidrs) > 0 ? var.public_subnet_cidrs : [
    for i in range(local.n_zones) : cidrsubnet(var.cidr_block, 4, 8 + i)
  ]

  # Containment of a subnet CIDR in the VPC CIDR, on 32-bit integers (Terraform has no IP arithmetic).
  vpc_prefix = tonumber(split("/", var.cidr_block)[1])
  vpc_start  = sum([for i, o in split(".", split("/", var.cidr_block)[0]) : tonumber(o) * pow(256, 3 - i)])
  vpc_end    = local.vpc_start + pow(2, 32 - local.vpc_prefix)
  subnets_outside_vpc = [
    for c in concat(local.private_subnet_cidrs, local.public_subnet_cidrs) : c
    if !(
      tonumber(split("/", c)[1]) >= local.vpc_prefix &&
      sum([for i, o in split(".", split("/", c)[0]) : tonumber(o) * pow(256, 3 - i)]) >= local.vpc_start &&
      sum([for i, o in split(".", split("/", c)[0]) : tonumber(o) * pow(256, 3 - i)]) < local.vpc_end
    )
  ]
}

resource "aws_vpc" "this" {
  cidr_block           = var.cidr_block
  enable_dns_support   = true # required by interface endpoints with private DNS
  enable_dns_hostnames = true # required by interface endpoints with private DNS

  tags = merge(var.tags, { Name = var.name })

  lifecycle {
    precondition {
      condition     = length(var.private_subnet_cidrs) == 0 || length(var.private_subnet_cidrs) == local.n_zones
      error_message = "private_subnet_cidrs must be empty (derived from cidr_block) or hold exactly one CIDR per entry of availability_zones."
    }
    precondition {
      condition     = !var.create_internet_gateway || length(var.public_subnet_cidrs) == 0 || length(var.public_subnet_cidrs) == local.n_zones
      error_message = "public_subnet_cidrs must be empty (derived from cidr_block) or hold exactly one CIDR per entry of availability_zones."
    }
    precondition {
      condition     = length(local.subnets_outside_vpc) == 0
      error_message = "Every subnet CIDR must lie inside cidr_block; these do not: ${join(", ", local.subnets_outside_vpc)}."
    }
    precondition {
      condition     = length(distinct(concat(local.private_subnet_cidrs, local.public_subnet_cidrs))) == length(local.private_subnet_cidrs) + length(local.public_subnet_cidrs)
      error_message = "private_subnet_cidrs and public_subnet_cidrs must not share a CIDR."
    }
  }
}

# Take over the VPC's default security group and strip every rule from it, so that anything launched without
# an explicit security group can neither receive nor send traffic.
resource "aws_default_security_group" "this" {
  vpc_id = aws_vpc.this.id

  tags = merge(var.tags, { Name = "${var.name}-default-deny-all" })
}

################################################################################
# Private tier: no public IPs, no internet route; AWS services through VPC endpoints
################################################################################

resource "aws_subnet" "private" {
  count = local.n_zones

  vpc_id                  = aws_vpc.this.id
  cidr_block              = local.private_subnet_cidrs[count.index]
  availability_zone       = local.azs[count.index]
  map_public_ip_on_launch = false

  tags = merge(var.tags, {
    Name = "${var.name}-private-${local.azs[count.index]}"
    Tier = "private"
  })
}

# One route table per zone, so that a per-zone egress path (e.g. a NAT gateway added outside this module)
# can be attached later without reshuffling associations.
resource "aws_route_table" "private" {
  count = local.n_zones

  vpc_id = aws_vpc.this.id

  tags = merge(var.tags, {
    Name = "${var.name}-private-${local.azs[count.index]}"
    Tier = "private"
  })
}

resource "aws_route_table_association" "private" {
  count = local.n_zones

  subnet_id      = aws_subnet.private[count.index].id
  route_table_id = aws_route_table.private[count.index].id
}

################################################################################
# Public tier (opt-in): internet gateway, public subnets, 0.0.0.0/0 route
################################################################################

resource "aws_internet_gateway" "this" {
  count = var.create_internet_gateway ? 1 : 0

  vpc_id = aws_vpc.this.id

  tags = merge(var.tags, { Name = var.name })
}

resource "aws_subnet" "public" {
  count = length(local.public_subnet_cidrs)

  vpc_id            = aws_vpc.this.id
  cidr_block        = local.public_subnet_cidrs[count.index]
  availability_zone = local.azs[count.index]
  # Even in the public tier nothing gets a public IP implicitly: whatever must be reachable (a load balancer,
  # a NAT gateway's Elastic IP) gets one explicitly.
  map_public_ip_on_launch = false

  tags = merge(var.tags, {
    Name = "${var.name}-public-${local.azs[count.index]}"
    Tier = "public"
  })
}

resource "aws_route_table" "public" {
  count = var.create_internet_gateway ? 1 : 0

  vpc_id = aws_vpc.this.id

  tags = merge(var.tags, {
    Name = "${var.name}-public"
    Tier = "public"
  })
}

resource "aws_route" "public_internet" {
  count = var.create_internet_gateway ? 1 : 0

  route_table_id         = aws_route_table.public[0].id
  destination_cidr_block = "0.0.0.0/0"
  gateway_id             = aws_internet_gateway.this[0].id
}

resource "aws_route_table_association" "public" {
  count = length(local.public_subnet_cidrs)

  subnet_id      = aws_subnet.public[count.index].id
  route_table_id = aws_route_table.public[0].id
}
