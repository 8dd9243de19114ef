-- wrk script for bench/hostile-search.sh: the most expensive searches a stranger may send.
-- Alternates the discover and course_catalogue server functions with 100-character queries
-- (the longest accepted) made of many near-miss words, and 100 000-character ones (refused).
dofile("wrk-report.lua")

local function enc(s)
  return (s:gsub("[^%w]", function(c) return string.format("%%%02X", string.byte(c)) end))
end

local near = string.rep("pyhtno begginer machin lerning ", 4):sub(1, 100)
local huge = string.rep("a", 100000)
local bodies = {
  { "/api/discover", "q=" .. enc(near) },
  { "/api/course_catalogue", "query=" .. enc(near) },
  { "/api/discover", "q=" .. huge },
  { "/api/course_catalogue", "query=" .. enc("机器学习入门" .. string.rep("数据", 40)) },
}
local i = 0

request = function()
  i = i + 1
  local b = bodies[(i % #bodies) + 1]
  return wrk.format("POST", b[1], { ["Content-Type"] = "application/x-www-form-urlencoded" }, b[2])
end
