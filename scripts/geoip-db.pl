#!/usr/bin/env perl
# Writes a small MaxMind country database (.mmdb) from CIDR=COUNTRY pairs, for the tests and the
# local stack; production mounts MaxMind's own GeoIP2/GeoLite2 Country database (docs/edge.md).
#
#   perl scripts/geoip-db.pl OUT.mmdb 203.0.113.0/24=NZ 198.51.100.0/24=AU 2001:db8:1::/48=NZ ...
#
# Needs Debian's libmaxmind-db-writer-perl (scripts/lib.sh: ensure_geoip_writer). The file is
# written beside OUT and renamed into place, so a reader never sees half a database.
use strict;
use warnings;

use File::Temp qw(tempfile);
use File::Basename qw(dirname);
use MaxMind::DB::Writer::Tree;

my ($out, @pairs) = @ARGV;
die "usage: $0 OUT.mmdb CIDR=CC...\n" unless defined $out && @pairs;

my %types = (country => 'map', iso_code => 'utf8_string');
my $tree = MaxMind::DB::Writer::Tree->new(
  ip_version    => 6,
  record_size   => 24,
  database_type => 'Tracking-Test-Country',
  languages     => ['en'],
  description   => { en => 'Test and local-stack country data; not real geolocation' },
  map_key_type_callback => sub { $types{ $_[0] } },
  # The documentation and loopback ranges the tests use are reserved; keep them.
  remove_reserved_networks => 0,
  # An IPv4-mapped address (::ffff:a.b.c.d) finds the IPv4 entry, as in MaxMind's own databases.
  alias_ipv6_to_ipv4 => 1,
);

for my $pair (@pairs) {
  my ($network, $country) = $pair =~ m{^([0-9A-Fa-f:.]+/\d{1,3})=([A-Z]{2})$}
    or die "not CIDR=CC: $pair\n";
  $tree->insert_network($network, { country => { iso_code => $country } });
}

my ($fh, $tmp) = tempfile('.geoip-XXXXXX', DIR => dirname($out));
binmode $fh;
$tree->write_tree($fh);
close $fh or die "writing $tmp: $!\n";
chmod 0644, $tmp;
rename $tmp, $out or die "renaming $tmp to $out: $!\n";
