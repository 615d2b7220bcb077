-- wrk script: GET single reports by id (ids from IDS_FILE, one per line) as a reader whose
-- nation and clearance let it see only part of them: every answer goes through the marking rule.
local token = os.getenv("TOKEN")
local ids = {}
for line in io.lines(os.getenv("IDS_FILE")) do ids[#ids + 1] = line end
local n = 0
request = function()
  n = n + 1
  local id = ids[(n * 7919) % #ids + 1]
  return wrk.format("GET", "/api/v1/reports/" .. id, {["Authorization"] = "Bearer " .. token})
end
